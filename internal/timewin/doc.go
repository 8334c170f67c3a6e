// Package timewin holds the two time windows of trailq: a Period of instants that a command asks about (read from
// --since and --until in a time zone), and the Days of UTC key dates whose log files hold a period's events.
package timewin
