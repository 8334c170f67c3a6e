// Package signin turns the console sign-in records of the store (ConsoleLogin, CheckMfa, IAM Identity Center
// UserAuthentication, …) into one normalized row per event, with filters, a per-principal summary and a chart.
package signin
