package engine

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/strata-go/strata/sqlerr"
)

// fakeTime is a clock that moves only when the retry loop sleeps or an
// attempt says it took time, so schedules are exact.
type fakeTime struct {
	t      time.Time
	slept  []time.Duration
	cancel func() // called at the given sleep, if set
	at     int
}

func (f *fakeTime) now() time.Time { return f.t }

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	f.slept = append(f.slept, d)
	if f.cancel != nil && len(f.slept) == f.at {
		f.cancel()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f.t = f.t.Add(d)
	return nil
}

func withFake(p RetryPolicy, ft *fakeTime, r float64) RetryPolicy {
	p.now, p.sleep = ft.now, ft.sleep
	p.rand = func() float64 { return r }
	return p
}

var errConflict = &sqlerr.RetryableError{Reason: "serialization failure", Err: errors.New("simulated")}

func TestRetryBackoffDoublesToTheCap(t *testing.T) {
	p := DefaultRetryPolicy()
	var got []time.Duration
	for n := 0; n <= 9; n++ {
		got = append(got, p.Backoff(n))
	}
	ms := time.Millisecond
	want := []time.Duration{0, 5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 200 * ms, 200 * ms, 200 * ms}
	if !slices.Equal(got, want) {
		t.Fatalf("Backoff(0..9) = %v, want %v", got, want)
	}
	if d := (RetryPolicy{MaxDelay: time.Second}).Backoff(3); d != 0 {
		t.Errorf("no BaseDelay: Backoff(3) = %v, want 0", d)
	}
	if d := (RetryPolicy{BaseDelay: time.Millisecond}).Backoff(11); d != 1024*ms {
		t.Errorf("no cap: Backoff(11) = %v, want 1.024s", d)
	}
	if d := (RetryPolicy{BaseDelay: time.Hour}).Backoff(200); d <= 0 {
		t.Errorf("uncapped Backoff(200) overflowed to %v", d)
	}
}

func TestRetryPausesAreJitteredBackoff(t *testing.T) {
	ft := &fakeTime{t: time.Unix(0, 0)}
	p := withFake(DefaultRetryPolicy(), ft, 0.5)
	calls := 0
	err := p.Run(context.Background(), func(context.Context) error {
		calls++
		if calls < 5 {
			return errConflict
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Fatalf("Run: %v after %d calls, want success after 5", err, calls)
	}
	us := time.Microsecond
	if want := []time.Duration{2500 * us, 5000 * us, 10000 * us, 20000 * us}; !slices.Equal(ft.slept, want) {
		t.Fatalf("pauses %v, want half of each backoff %v", ft.slept, want)
	}

	// A draw of 0 means no pause at all; the schedule bounds, never forces.
	ft = &fakeTime{t: time.Unix(0, 0)}
	p = withFake(DefaultRetryPolicy(), ft, 0)
	calls = 0
	_ = p.Run(context.Background(), func(context.Context) error { calls++; return errConflict })
	if calls != 10 || len(ft.slept) != 9 || slices.Max(ft.slept) != 0 {
		t.Fatalf("%d calls, pauses %v; want 10 calls and 9 zero pauses", calls, ft.slept)
	}
}

func TestRetryGivesUpAfterMaxAttempts(t *testing.T) {
	ft := &fakeTime{t: time.Unix(0, 0)}
	p := withFake(RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond}, ft, 0.99)
	calls := 0
	err := p.Run(context.Background(), func(context.Context) error { calls++; return errConflict })
	if calls != 4 || len(ft.slept) != 3 {
		t.Fatalf("%d calls and %d pauses, want 4 and 3", calls, len(ft.slept))
	}
	if !errors.Is(err, errConflict) || !sqlerr.IsRetryable(err) {
		t.Fatalf("the last error must stay reachable: %v", err)
	}
}

func TestRetryReturnsOtherErrorsAtOnce(t *testing.T) {
	boom := errors.New("boom")
	for name, p := range map[string]RetryPolicy{
		"default":   DefaultRetryPolicy(),
		"zero":      {},
		"NoRetry":   NoRetry,
		"predicate": {MaxAttempts: 5, Retryable: func(err error) bool { return !errors.Is(err, boom) }},
	} {
		ft := &fakeTime{t: time.Unix(0, 0)}
		calls := 0
		err := withFake(p, ft, 0.5).Run(context.Background(), func(context.Context) error { calls++; return boom })
		if err != boom || calls != 1 || len(ft.slept) != 0 {
			t.Errorf("%s: err %v after %d calls, %d pauses; want boom itself after 1 call", name, err, calls, len(ft.slept))
		}
	}
	// A policy without retries returns even a retryable error unwrapped.
	calls := 0
	if err := NoRetry.Run(context.Background(), func(context.Context) error { calls++; return errConflict }); err != errConflict || calls != 1 {
		t.Errorf("NoRetry: %v after %d calls", err, calls)
	}
}

func TestRetryPredicateDecides(t *testing.T) {
	flaky := errors.New("flaky")
	ft := &fakeTime{t: time.Unix(0, 0)}
	p := withFake(RetryPolicy{MaxAttempts: 3, Retryable: func(err error) bool { return errors.Is(err, flaky) }}, ft, 0)
	calls := 0
	err := p.Run(context.Background(), func(context.Context) error {
		calls++
		if calls == 1 {
			return flaky
		}
		return errConflict // retryable by default, not by this predicate
	})
	if calls != 2 || err != errConflict {
		t.Fatalf("%d calls, err %v; want 2 calls ending on the conflict", calls, err)
	}
}

func TestRetryBudgetHonoured(t *testing.T) {
	ft := &fakeTime{t: time.Unix(0, 0)}
	p := withFake(RetryPolicy{MaxAttempts: 100, Budget: time.Second, BaseDelay: 100 * time.Millisecond, MaxDelay: 100 * time.Millisecond}, ft, 0.5)
	var starts []time.Duration
	err := p.Run(context.Background(), func(context.Context) error {
		starts = append(starts, ft.t.Sub(time.Unix(0, 0)))
		ft.t = ft.t.Add(200 * time.Millisecond) // each attempt takes 200 ms
		return errConflict
	})
	// Attempts start at 0, 250, 500, 750 ms; the pause after the fourth
	// would end at 1000 ms, the budget, so there is no fifth.
	ms := time.Millisecond
	if want := []time.Duration{0, 250 * ms, 500 * ms, 750 * ms}; !slices.Equal(starts, want) {
		t.Fatalf("attempts started at %v, want %v", starts, want)
	}
	if !errors.Is(err, errConflict) {
		t.Fatalf("err %v, want the conflict", err)
	}
}

func TestRetryContextCancelStopsTheLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ft := &fakeTime{t: time.Unix(0, 0), cancel: cancel, at: 2}
	p := withFake(DefaultRetryPolicy(), ft, 0.5)
	calls := 0
	err := p.Run(ctx, func(context.Context) error { calls++; return errConflict })
	if calls != 2 {
		t.Fatalf("%d calls, want 2 (cancelled during the second pause)", calls)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errConflict) {
		t.Fatalf("err %v, want both the cancellation and the last error", err)
	}
}

// The real sleep ends when the context is done, not when the pause would.
func TestRetrySleepAbortsOnContextDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour}
	p.rand = func() float64 { return 0.999 }
	start := time.Now()
	calls := 0
	err := p.Run(ctx, func(context.Context) error { calls++; return errConflict })
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("Run slept %v past its context", el)
	}
	if calls != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%d calls, err %v; want 1 call and the deadline", calls, err)
	}
	// A context already done: the attempt that failed is not followed by another.
	done, stop := context.WithCancel(context.Background())
	stop()
	calls = 0
	err = DefaultRetryPolicy().Run(done, func(context.Context) error { calls++; return errConflict })
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %d calls, err %v", calls, err)
	}
}
