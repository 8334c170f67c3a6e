-- A table with partition projection in the style of the Athena user guide's CloudTrail example, with partition
-- names of its own (written for these tests).
CREATE EXTERNAL TABLE security.org_trail (
    eventversion STRING,
    eventtime STRING,
    eventname STRING
)
COMMENT 'CloudTrail table for the org trail'
PARTITIONED BY (
   `account_id` string,
   `aws_region` string,
   `ingest_date` string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://trail-bucket/AWSLogs/o-abc123/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account_id.type'='enum',
  'projection.account_id.values'='111122223333,444455556666',
  'projection.aws_region.type'='enum',
  'projection.aws_region.values'='us-east-1,eu-west-1',
  'projection.ingest_date.type'='date',
  'projection.ingest_date.range'='2024/01/01,NOW',
  'projection.ingest_date.format'='yyyy-MM-dd',
  'projection.ingest_date.interval'='1',
  'projection.ingest_date.interval.unit'='DAYS',
  'storage.location.template'='s3://trail-bucket/AWSLogs/o-abc123/${account_id}/CloudTrail/${aws_region}/${ingest_date}')
