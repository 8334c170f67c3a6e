CREATE EXTERNAL TABLE odd (eventtime string)
PARTITIONED BY (shard string)
