package hint

// Error is an error with a suggestion.
type Error struct {
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// With returns err with the suggestion h.
func With(err error, h string) error { return &Error{Err: err, Hint: h} }
