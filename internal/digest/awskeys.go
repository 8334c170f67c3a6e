package digest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// FetchKeys lists, with cloudtrail:ListPublicKeys, the public keys whose private keys signed digests between from
// and to in the client's region (CloudTrail signs each region's digests with a key of that region).
func FetchKeys(ctx context.Context, api cloudtrail.ListPublicKeysAPIClient, region string, from, to time.Time) ([]Key, error) {
	in := &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(from.UTC()), EndTime: aws.Time(to.UTC())}
	var keys []Key
	p := cloudtrail.NewListPublicKeysPaginator(api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, func(o *cloudtrail.Options) { o.Region = region })
		if err != nil {
			return nil, fmt.Errorf("list CloudTrail public keys in %s: %w", region, err)
		}
		for _, k := range out.PublicKeyList {
			fp := aws.ToString(k.Fingerprint)
			pub, err := ParsePublicKey(k.Value)
			if err != nil {
				return nil, fmt.Errorf("list CloudTrail public keys in %s: key %s: %w", region, fp, err)
			}
			keys = append(keys, Key{Fingerprint: fp, Public: pub, From: aws.ToTime(k.ValidityStartTime), To: aws.ToTime(k.ValidityEndTime), Region: region})
		}
	}
	return keys, nil
}
