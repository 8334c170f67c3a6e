package signin

import (
	"regexp"
	"strings"
)

var (
	uaEdge    = regexp.MustCompile(`\bEdg(?:e|A|iOS)?/(\d+)`)
	uaOpera   = regexp.MustCompile(`\bOPR/(\d+)`)
	uaChrome  = regexp.MustCompile(`\b(?:Chrome|CriOS)/(\d+)`)
	uaFirefox = regexp.MustCompile(`\b(?:Firefox|FxiOS)/(\d+)`)
	uaSafari  = regexp.MustCompile(`\bVersion/(\d+(?:\.\d+)?).*\bSafari/`)
	uaIE      = regexp.MustCompile(`\b(?:MSIE (\d+)|Trident/.*rv:(\d+))`)
	uaWindows = regexp.MustCompile(`Windows NT (\d+\.\d+)`)
	uaMac     = regexp.MustCompile(`Mac OS X (\d+(?:[._]\d+)*)`)
	uaIOS     = regexp.MustCompile(`(?:iPhone|CPU) OS (\d+(?:_\d+)*)`)
	uaAndroid = regexp.MustCompile(`Android (\d+(?:\.\d+)*)`)
)

var windowsVersions = map[string]string{"10.0": "10/11", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP"}

// ParseUserAgent names the browser and operating system of a web browser's user agent ("Chrome 67",
// "macOS 10.11.6"). Both are "" for user agents that are not browsers.
func ParseUserAgent(ua string) (browser, os string) {
	if !strings.HasPrefix(ua, "Mozilla/") && !strings.HasPrefix(ua, "Opera/") {
		return "", ""
	}
	switch {
	case uaEdge.MatchString(ua):
		browser = "Edge " + uaEdge.FindStringSubmatch(ua)[1]
	case uaOpera.MatchString(ua):
		browser = "Opera " + uaOpera.FindStringSubmatch(ua)[1]
	case uaFirefox.MatchString(ua):
		browser = "Firefox " + uaFirefox.FindStringSubmatch(ua)[1]
	case uaChrome.MatchString(ua):
		browser = "Chrome " + uaChrome.FindStringSubmatch(ua)[1]
	case uaSafari.MatchString(ua):
		browser = "Safari " + uaSafari.FindStringSubmatch(ua)[1]
	case uaIE.MatchString(ua):
		m := uaIE.FindStringSubmatch(ua)
		browser = "Internet Explorer " + first(m[1], m[2])
	}
	switch {
	case uaWindows.MatchString(ua):
		v := uaWindows.FindStringSubmatch(ua)[1]
		os = "Windows " + first(windowsVersions[v], "NT "+v)
	case uaIOS.MatchString(ua):
		os = "iOS " + strings.ReplaceAll(uaIOS.FindStringSubmatch(ua)[1], "_", ".")
	case uaMac.MatchString(ua):
		os = "macOS " + strings.ReplaceAll(uaMac.FindStringSubmatch(ua)[1], "_", ".")
	case uaAndroid.MatchString(ua):
		os = "Android " + uaAndroid.FindStringSubmatch(ua)[1]
	case strings.Contains(ua, "CrOS"):
		os = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	return browser, os
}
