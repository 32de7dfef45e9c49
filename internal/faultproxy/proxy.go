// Package faultproxy is a TCP proxy for tests that injects network
// faults between a database client and its server: it cuts connections
// before or after the client sends a chosen statement (COMMIT, say), adds
// latency, and black-holes traffic.
//
// It is small on purpose (toxiproxy would do, as a library, but brings an
// HTTP API, a metrics stack and a dozen modules for what is a hundred
// lines here): the tests need only byte matching on the client's stream,
// which the wire protocols of PostgreSQL and MariaDB carry as plain text
// for simple and prepared statements alike.
package faultproxy

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// When says whether a cut happens before the matching bytes reach the
// server or after.
type When uint8

const (
	// Before drops the chunk that holds the pattern and cuts: the server
	// never sees the statement.
	Before When = iota + 1
	// After forwards the chunk that holds the pattern and cuts at once:
	// the server runs the statement, its answer is lost.
	After
)

// Proxy forwards connections from its listener to one upstream address.
type Proxy struct {
	l        net.Listener
	upstream string

	mu      sync.Mutex
	conns   map[*pair]struct{}
	latency time.Duration
	hole    bool
	cuts    []*cut
	cutN    int
	closed  bool
	wg      sync.WaitGroup
	accepts int
}

type cut struct {
	pattern []byte
	when    When
	once    bool
	done    bool
}

type pair struct {
	client, server net.Conn
	once           sync.Once
	mute           atomic.Bool // drop what the server sends (an After cut)
}

func (p *pair) close() {
	p.once.Do(func() {
		// Reset, not a graceful close: like a lost connection.
		if tc, ok := p.client.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // best effort: a plain close also cuts
		}
		p.client.Close()
		p.server.Close()
	})
}

// Start listens on 127.0.0.1 (a free port) and forwards to upstream.
func Start(upstream string) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{l: l, upstream: upstream, conns: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Accepted is the number of client connections accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepts
}

// Cuts is the number of connections cut by a CutOn rule so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cutN
}

// SetLatency delays every chunk forwarded in either direction by d.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// BlackHole, while on, swallows everything in both directions without
// closing anything: the peers wait for answers that never come.
func (p *Proxy) BlackHole(on bool) {
	p.mu.Lock()
	p.hole = on
	p.mu.Unlock()
}

// CutOn cuts the connection whose client sends pattern (compared without
// regard to ASCII case), before or after forwarding it; the first time
// only if once is set, else every time.
func (p *Proxy) CutOn(pattern string, when When, once bool) {
	p.mu.Lock()
	p.cuts = append(p.cuts, &cut{pattern: bytes.ToLower([]byte(pattern)), when: when, once: once})
	p.mu.Unlock()
}

// Clear removes every fault: no latency, no black hole, no cut rules.
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.latency, p.hole, p.cuts = 0, false, nil
	p.mu.Unlock()
}

// CutAll cuts every open connection now.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	conns := make([]*pair, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Close stops the listener and cuts every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.l.Close()
	p.CutAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		pr := &pair{client: c, server: s}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			pr.close()
			return
		}
		p.conns[pr] = struct{}{}
		p.accepts++
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(pr, c, s, true)
		go p.pipe(pr, s, c, false)
	}
}

// pipe copies src to dst chunk by chunk, applying the faults; fromClient
// says whether src is the client (cut rules look at the client's bytes).
func (p *Proxy) pipe(pr *pair, src, dst net.Conn, fromClient bool) {
	defer p.wg.Done()
	defer func() {
		pr.close()
		p.mu.Lock()
		delete(p.conns, pr)
		p.mu.Unlock()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			p.mu.Lock()
			latency, hole := p.latency, p.hole
			var hit *cut
			if fromClient {
				lower := bytes.ToLower(chunk)
				for _, c := range p.cuts {
					if !c.done && bytes.Contains(lower, c.pattern) {
						hit = c
						c.done = c.once
						p.cutN++
						break
					}
				}
			}
			p.mu.Unlock()
			if latency > 0 {
				time.Sleep(latency)
			}
			if hit != nil && hit.when == Before {
				return
			}
			if hit != nil {
				pr.mute.Store(true) // no answer may pass once the statement is on its way
			}
			if !fromClient && pr.mute.Load() {
				return
			}
			if !hole {
				if _, werr := dst.Write(chunk); werr != nil {
					return
				}
			}
			if hit != nil {
				return // After: forwarded, then cut before any answer
			}
		}
		if err != nil {
			return // EOF or a closed connection: close the pair
		}
	}
}
