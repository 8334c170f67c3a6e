// Package crashtest holds tests that run trailq as a separate process and kill it: crash safety of loads and
// what a second process sees while a load runs. It has no code of its own.
package crashtest
