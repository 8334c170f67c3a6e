// Package load writes log objects into a store in transactions: each commit finishes a new part file of the
// rows the store does not have yet (identical records are stored once, their copies recorded), lists it with the
// manifest entries and problems of the objects its rows came from, and copies the rows that can be sign-in
// events into the sign-in table, so that a crash leaves every object loaded once or not at all. A changed object
// replaces its earlier rows; objects holding copies of events whose stored copy went are read again (Refills).
package load
