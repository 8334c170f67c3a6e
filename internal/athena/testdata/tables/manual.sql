-- A table without a template whose partitions are added by hand: names say what they are.
CREATE EXTERNAL TABLE IF NOT EXISTS ct_events (eventtime string, eventname string)
PARTITIONED BY (p_account string, p_region string, day string)
LOCATION 's3://bucket/AWSLogs/'
TBLPROPERTIES ('projection.day.type'='date', 'projection.day.format'='yyyy/MM/dd')
