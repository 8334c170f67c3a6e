// Package baseline finds what is new or unusual in a period against a baseline period before it, computed
// locally over the store (trailq trace --new): per principal, the source IPs, user agents, regions, services,
// event names, ASNs and countries (with a MaxMind .mmdb file) first seen in the period, sign-ins at hours the
// principal never signed in at, impossible travel between sign-ins, and hourly call and error counts far above
// the baseline's (a robust z-score on the median and MAD).
package baseline
