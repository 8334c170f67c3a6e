package ingest_test

import "time"

type timeT = time.Time

func parseDay(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }
