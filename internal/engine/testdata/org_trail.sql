CREATE EXTERNAL TABLE org_trail (eventtime string)
PARTITIONED BY (account_id string, aws_region string, ingest_date string)
TBLPROPERTIES (
  'projection.ingest_date.type'='date',
  'projection.ingest_date.format'='yyyy/MM/dd',
  'storage.location.template'='s3://b/AWSLogs/o-abc/${account_id}/CloudTrail/${aws_region}/${ingest_date}')
