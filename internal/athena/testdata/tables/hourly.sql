CREATE EXTERNAL TABLE hourly (eventtime string)
PARTITIONED BY (dt string)
TBLPROPERTIES ('projection.dt.type'='date', 'projection.dt.format'='yyyy/MM/dd/HH')
