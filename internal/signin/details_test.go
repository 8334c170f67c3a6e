package signin

import "testing"

// TestDetails: what additionalEventData says of SwitchRole, RenewRole and the mobile app, in the details column
// (field names as AWS's console sign-in event reference gives them).
func TestDetails(t *testing.T) {
	for _, c := range []struct {
		ad   map[string]any
		want string
	}{
		{map[string]any{"SwitchFrom": "arn:aws:iam::111122223333:user/anaya", "RedirectTo": "https://console.aws.amazon.com/s3/"},
			"switched from arn:aws:iam::111122223333:user/anaya; to https://console.aws.amazon.com/s3/"},
		{map[string]any{"RenewedBy": "arn:aws:sts::111122223333:assumed-role/Admin/anaya", "RedirectTo": "https://console.aws.amazon.com/"},
			"renewed by arn:aws:sts::111122223333:assumed-role/Admin/anaya; to https://console.aws.amazon.com/"},
		{map[string]any{"MobileVersion": "Yes", "LoginTo": "https://console.aws.amazon.com/"}, "mobile app"},
		{map[string]any{"MobileVersion": "No", "SwitchFrom": nil}, ""},
		{nil, ""},
	} {
		if got := details(c.ad); got != c.want {
			t.Errorf("details(%v) = %q, want %q", c.ad, got, c.want)
		}
	}
}
