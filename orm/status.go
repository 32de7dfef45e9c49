package orm

// StatusErr is [Session.Status] that reports misuse instead of answering
// Transient for it. The error is
//
//   - a [*ConcurrentUseError] when another operation is running in the
//     session: a second goroutine, or a flush hook asking during the flush
//     (there Status's Transient is a wrong answer, not a safe default);
//   - an error for obj that is not a non-nil pointer to a struct, or one
//     matching [ErrNotMapped] for a type never registered: the session can
//     never hold such an object.
//
// The Status is Transient whenever the error is not nil; otherwise it is
// Status's answer. As with Status, a closed session still answers:
// Detached for the objects it held. Like every check of the session's
// guard, the concurrent-use check sees operations that overlap this call;
// it is a diagnostic, not a lock.
//
// Why a second method rather than an error result on Status: in correct
// code every error above is a programming mistake, and Status is asked
// where a second result is noise (logs, assertions, tests, a switch), so
// it keeps its one result; a panic would turn a diagnostic call into a
// crash. Code that cannot vouch for its argument or its goroutine (a
// helper handed arbitrary values, a hook) asks StatusErr.
func (s *Session) StatusErr(obj any) (Status, error) { return s.status(obj) }
