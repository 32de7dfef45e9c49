package faultproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echo is a line server that answers each line with "ok <line>" and
// counts the lines it received.
func echo(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					got.Add(1)
					if _, err := io.WriteString(c, "ok "+line); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String(), &got
}

func start(t *testing.T) (*Proxy, *atomic.Int32) {
	t.Helper()
	addr, got := echo(t)
	p, err := Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, got
}

func dial(t *testing.T, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

func ask(c net.Conn, r *bufio.Reader, line string) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func TestForwards(t *testing.T) {
	p, got := start(t)
	c, r := dial(t, p)
	for _, q := range []string{"SELECT 1", "COMMIT"} {
		if a, err := ask(c, r, q); err != nil || a != "ok "+q+"\n" {
			t.Fatalf("%q: %q %v", q, a, err)
		}
	}
	if got.Load() != 2 || p.Accepted() != 1 {
		t.Fatalf("server got %d lines over %d connections", got.Load(), p.Accepted())
	}
}

func TestCutBeforeNeverReachesTheServer(t *testing.T) {
	p, got := start(t)
	p.CutOn("commit", Before, true)
	c, r := dial(t, p)
	if _, err := ask(c, r, "INSERT"); err != nil {
		t.Fatal(err)
	}
	if _, err := ask(c, r, "COMMIT"); err == nil {
		t.Fatal("the cut connection answered")
	}
	time.Sleep(50 * time.Millisecond)
	if got.Load() != 1 || p.Cuts() != 1 {
		t.Fatalf("server got %d lines, %d cuts; want 1 and 1", got.Load(), p.Cuts())
	}
	// once: a new connection goes through
	c2, r2 := dial(t, p)
	if a, err := ask(c2, r2, "COMMIT"); err != nil || !strings.HasPrefix(a, "ok") {
		t.Fatalf("after a one-time cut: %q %v", a, err)
	}
}

func TestCutAfterLosesOnlyTheAnswer(t *testing.T) {
	p, got := start(t)
	p.CutOn("COMMIT", After, false)
	c, r := dial(t, p)
	if _, err := ask(c, r, "commit"); err == nil {
		t.Fatal("the cut connection answered")
	}
	deadline := time.Now().Add(2 * time.Second)
	for got.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Fatalf("the server did not receive the statement before the cut: %d", got.Load())
	}
}

func TestLatency(t *testing.T) {
	p, _ := start(t)
	p.SetLatency(50 * time.Millisecond)
	c, r := dial(t, p)
	t0 := time.Now()
	if _, err := ask(c, r, "x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 100*time.Millisecond {
		t.Fatalf("a round trip took %v with 50 ms each way", d)
	}
	p.Clear()
	t0 = time.Now()
	if _, err := ask(c, r, "y"); err != nil || time.Since(t0) > 50*time.Millisecond {
		t.Fatalf("after Clear: %v %v", time.Since(t0), err)
	}
}

func TestBlackHole(t *testing.T) {
	p, got := start(t)
	c, r := dial(t, p)
	p.BlackHole(true)
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := ask(c, r, "lost")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || got.Load() != 0 {
		t.Fatalf("black hole: %v, server got %d", err, got.Load())
	}
}

func TestCutAllAndClose(t *testing.T) {
	p, _ := start(t)
	c, r := dial(t, p)
	if _, err := ask(c, r, "a"); err != nil {
		t.Fatal(err)
	}
	p.CutAll()
	if _, err := ask(c, r, "b"); err == nil {
		t.Fatal("a cut connection answered")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("a closed proxy accepts")
	}
}
