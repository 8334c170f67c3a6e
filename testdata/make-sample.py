#!/usr/bin/env python3
"""Builds testdata/sample/AWSLogs: the real public records of cloudtrail/real/ laid out as CloudTrail delivers them
to S3 (gzipped, one file per account/region/hour, delivery time in the name), with an organization trail, a digest
file and an Insights file beside them. Deterministic: run it again to get the same bytes.

Records with a non-ISO eventTime or without a 12-digit recipientAccountId (see cloudtrail/real/SOURCES.md) are left
out. Usage: python3 testdata/make-sample.py (from the repository root)."""
import collections, glob, gzip, hashlib, io, json, os, re, shutil
from datetime import datetime, timedelta

REAL = 'testdata/cloudtrail/real'
OUT = 'testdata/sample'
ORG = 'o-a1b2c3d4e5'
ORG_ACCOUNTS = {'123456789012'}  # delivered through an organization trail

def main():
    shutil.rmtree(OUT, ignore_errors=True)
    groups = collections.defaultdict(list)
    for f in sorted(glob.glob(REAL + '/*.json')):
        for r in json.load(open(f))['Records']:
            t, acct, region = r.get('eventTime'), r.get('recipientAccountId'), r.get('awsRegion')
            if not isinstance(t, str) or not re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$', t):
                continue
            if not isinstance(acct, str) or not re.match(r'^\d{12}$', acct):
                continue
            if not isinstance(region, str) or not re.match(r'^[a-z0-9-]+$', region):
                continue
            if r.get('eventType') == 'AwsCloudTrailInsight':
                continue
            when = datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S')
            groups[(acct, region, when.strftime('%Y%m%d%H'))].append((when, r))
    for (acct, region, hour), recs in sorted(groups.items()):
        recs.sort(key=lambda x: x[0])
        delivered = recs[-1][0] + timedelta(minutes=5)
        body = json.dumps({'Records': [r for _, r in recs]}, separators=(',', ':')).encode()
        fid = hashlib.sha256(body).hexdigest()[:16]
        prefix = f'AWSLogs/{ORG}/{acct}' if acct in ORG_ACCOUNTS else f'AWSLogs/{acct}'
        name = f'{acct}_CloudTrail_{region}_{delivered.strftime("%Y%m%dT%H%MZ")}_{fid}.json.gz'
        write(f'{OUT}/{prefix}/CloudTrail/{region}/{delivered.strftime("%Y/%m/%d")}/{name}', body)
    # A digest file and an Insights file, as they sit beside the logs in a real bucket.
    digest = open(REAL + '/digest/awsdocs__cloudtrail-user-guide__digest-example-1.json', 'rb').read()
    write(f'{OUT}/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/'
          '111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz', digest)
    insight = open(REAL + '/streamalert__cloudtrail-insights.json', 'rb').read()
    write(f'{OUT}/AWSLogs/246337027688/CloudTrail-Insight/eu-central-1/2022/04/12/'
          '246337027688_CloudTrail-Insight_eu-central-1_20220412T1615Z_a1b2c3d4e5f6a7b8.json.gz', insight)

def write(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, mtime=0) as z:
        z.write(body)
    open(path, 'wb').write(buf.getvalue())

if __name__ == '__main__':
    main()
