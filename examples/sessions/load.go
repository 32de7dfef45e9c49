package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Load is a burst of concurrent clients: Creates notes spread over
// Authors, Likes likes of one note (the hot row) and Reindexes requests
// to index that note again (background jobs racing the likes), all at once.
type Load struct {
	Authors, Creates, Likes, Reindexes int
}

// LoadResult is what the clients saw.
type LoadResult struct {
	Hot     int64            // the liked note
	Created map[int64]string // id -> author
	Likes   int64            // likes of the hot note after the last like, as replied
}

// Run makes the hot note, then sends the creates and likes concurrently,
// one goroutine per request, to the API at base.
func (l Load) Run(ctx context.Context, c *http.Client, base string) (*LoadResult, error) {
	var hot Note
	if err := call(ctx, c, "POST", base+"/notes", map[string]string{"author": "hot", "title": "like me", "body": "a note everybody likes"}, http.StatusCreated, &hot); err != nil {
		return nil, err
	}
	res := &LoadResult{Hot: hot.ID, Created: map[int64]string{}}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for i := range l.Creates {
		wg.Go(func() {
			author := fmt.Sprintf("author%d", i%max(l.Authors, 1))
			in := map[string]string{"author": author, "title": fmt.Sprintf("note %d", i), "body": "words one two three"}
			var n Note
			err := call(ctx, c, "POST", base+"/notes", in, http.StatusCreated, &n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Created[n.ID] = author
		})
	}
	for range l.Likes {
		wg.Go(func() {
			var n Note
			err := call(ctx, c, "POST", fmt.Sprintf("%s/notes/%d/like", base, hot.ID), nil, http.StatusOK, &n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Likes = max(res.Likes, n.Likes)
		})
	}
	for range l.Reindexes {
		wg.Go(func() {
			err := call(ctx, c, "POST", fmt.Sprintf("%s/notes/%d/index", base, hot.ID), nil, http.StatusAccepted, nil)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// call sends one JSON request and decodes the reply into out.
func call(ctx context.Context, c *http.Client, method, url string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
