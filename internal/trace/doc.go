// Package trace follows what someone did in CloudTrail: from a sign-in, an access key, a principal, a role, an
// IP address or a resource to the sessions it opened (console sessions, role chaining across accounts) and every
// call made in them, with a profile of it all. It writes Athena SQL over cloudtrail_logs and reads the rows a
// Querier gives back; it does not touch the store itself.
package trace
