package api

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a problem with one object or file of the config repository. Its
// message starts with file:line, then the object, then what is wrong.
type Error struct {
	Origin Origin
	Object string // e.g. "Subscription/qcbm-subscription"; empty for file-level errors
	Err    error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Origin.String())
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of problems found together, reported together.
type Errors []error

// Error implements error: one problem per line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the list, for errors.Is and errors.As.
func (es Errors) Unwrap() []error { return es }

// Err returns nil for an empty list and the list otherwise.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Flatten returns the individual problems of err, unpacking Errors lists.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		var out []error
		for _, e := range es {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func errorf(origin Origin, object, format string, args ...any) *Error {
	return &Error{Origin: origin, Object: object, Err: fmt.Errorf(format, args...)}
}
