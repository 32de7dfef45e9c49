package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/strata-go/strata/examples/chat/chatdb"
	"github.com/strata-go/strata/internal/testdb"
)

// findChrome returns the Chromium to drive: $CHROME_PATH, or chromium,
// chromium-browser, google-chrome or google-chrome-stable on PATH.
func findChrome() (string, bool) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// screenshotDir is where the browser test saves its screenshots:
// $CHAT_SCREENSHOTS (created if needed) or a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("CHAT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestBrowserRenameAndDeleteWhileLateWritesFire drives headless Chromium
// against the service on SQLite: threads created through the API, one of
// them found on the second page of the list, opened, given feedback,
// renamed in the page, and deleted in the page while goroutines fire late
// PATCHes, disconnect-persists and steps at it; after a reload the list
// and a search no longer show it, its URL answers 404, and no late writer
// brought it back. Screenshots of every stage go to $CHAT_SCREENSHOTS (or
// a temporary directory). Without Chromium the test is skipped.
func TestBrowserRenameAndDeleteWhileLateWritesFire(t *testing.T) {
	chrome, ok := findChrome()
	if !ok {
		t.Skip("browser test skipped: no Chromium (set CHROME_PATH, or install it: apt-get install chromium)")
	}
	start := time.Now()
	shots := screenshotDir(t)
	srv, store := newTestServer(t, testdb.New(t, "sqlite"), Config{})
	alice := as(t, srv, "alice")

	// Twelve threads through the API; the oldest is the one the page
	// works on, on the list's second page (10 a page).
	var target chatdb.Thread
	for i := range 12 {
		th := alice.createThread(fmt.Sprintf("Browser thread %02d", i+1))
		if i == 0 {
			target = th
		}
	}
	tid := target.ID.String()
	q := alice.createStep(target.ID, map[string]any{"name": "alice", "type": "user_message", "output": "Draw me a red square"})
	a := alice.createStep(target.ID, map[string]any{"name": "assistant", "type": "assistant_message", "parentId": q.ID.String(), "output": "Here it is."})
	alice.call("POST", "/project/thread/"+tid+"/element", map[string]any{
		"name": "square.png", "type": "image", "mime": "image/png", "display": "inline", "forId": a.ID.String(),
		"content": base64.StdEncoding.EncodeToString(redSquare(t)),
	}, http.StatusCreated, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1100, 900))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	n := 0
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		n++
		p := filepath.Join(shots, fmt.Sprintf("%02d-%s.png", n, name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			shot("failed")
			t.Fatalf("%s: %v (screenshots in %s)", what, err, shots)
		}
	}
	// ready marks the page stale, runs the steps (which load a page or
	// re-render one), and waits until the page says it is ready as want.
	ready := func(what, want string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		do(what+": mark", chromedp.Evaluate[chromedp.Void](`document.body && (document.body.dataset.ready = "stale")`))
		do(what, steps...)
		waitJS(t, bctx, what, fmt.Sprintf(`document.body.dataset.ready === %q`, want), shot)
	}
	linkOf := chromedp.CSS(`#threads li[data-id="` + tid + `"] a`)

	// The list: page 1 has the ten newest, the target is on page 2.
	ready("open the list", "list", chromedp.Navigate(srv.URL+"/?user=alice"))
	shot("list")
	if got := evalJS[int](t, bctx, `document.querySelectorAll("#threads li[data-id]").length`); got != 10 {
		t.Errorf("first page shows %d threads, want 10", got)
	}
	ready("next page", "list", chromedp.Click(chromedp.ID("next")))
	do("find the thread", chromedp.WaitVisible(linkOf))
	shot("list-page-2")

	// The thread, its steps and element; feedback on the answer.
	ready("open the thread", "thread", chromedp.Click(linkOf))
	if got := evalJS[string](t, bctx, `document.getElementById("thread-name").textContent`); got != target.Name {
		t.Errorf("thread page shows %q, want %q", got, target.Name)
	}
	if got := evalJS[int](t, bctx, `document.querySelectorAll("#steps li.step").length`); got != 2 {
		t.Errorf("thread page shows %d steps, want 2", got)
	}
	do("open the image",
		chromedp.Click(chromedp.CSS(`#elements li button`)),
		chromedp.WaitVisible(chromedp.CSS(`#elements li img`)))
	do("give feedback",
		chromedp.Click(chromedp.CSS(`li.step[data-id="`+a.ID.String()+`"] > .fb button.up`)),
		chromedp.WaitVisible(chromedp.CSS(`li.step[data-id="`+a.ID.String()+`"] > .fb button.up.on`)))
	if f := alice.thread(target.ID).Steps[1].Feedback; f == nil || f.Value != 1 {
		t.Errorf("feedback given in the page: %+v, want value 1", f)
	}
	shot("thread")

	// Rename in the page.
	const newName = "Renamed in the browser"
	do("rename",
		chromedp.Click(chromedp.ID("rename")),
		chromedp.WaitVisible(chromedp.ID("rename-input")),
		chromedp.SetValue(chromedp.ID("rename-input"), newName),
		chromedp.Click(chromedp.ID("rename-save")))
	waitJS(t, bctx, "the new name shown", fmt.Sprintf(`document.getElementById("thread-name").textContent === %q`, newName), shot)
	if got := alice.thread(target.ID); got.Name != newName || !got.CreatedAt.Equal(target.CreatedAt) {
		t.Errorf("after the rename: name %q created %v, want %q created %v", got.Name, got.CreatedAt, newName, target.CreatedAt)
	}
	shot("renamed")

	// Late writers fire at the thread while the page deletes it; they
	// stop once each has been told 404 a few times.
	var wg sync.WaitGroup
	var ok2xx, notFound, conflict atomic.Int64
	var mu sync.Mutex
	var bad []string
	stop := make(chan struct{})
	const writers = 6
	for g := range writers {
		wg.Go(func() {
			c := as(t, srv, "alice")
			seen404 := 0
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var status int
				var b []byte
				var err error
				switch (g + i) % 3 {
				case 0:
					status, b, err = c.try("PATCH", "/project/thread/"+tid, map[string]any{"name": "late update", "metadata": map[string]any{"g": g}})
				case 1:
					status, b, err = c.try("POST", "/project/thread/"+tid+"/disconnect", map[string]any{"name": "late disconnect",
						"steps": []any{map[string]any{"name": "late", "type": "run", "output": "persisted on disconnect"}}})
				default:
					status, b, err = c.try("POST", "/project/thread/"+tid+"/step", map[string]any{"name": "late step", "type": "run"})
				}
				switch {
				case err != nil:
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					return
				case status == 200 || status == 201:
					ok2xx.Add(1)
				case status == 404:
					notFound.Add(1)
					if seen404++; seen404 == 3 {
						return
					}
				case status == 409:
					conflict.Add(1)
				default:
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%d %s", status, b))
					mu.Unlock()
				}
			}
		})
	}
	do("ask to delete", chromedp.Click(chromedp.ID("delete")), chromedp.WaitVisible(chromedp.ID("delete-yes")))
	shot("delete-confirm")
	ready("delete", "list", chromedp.Click(chromedp.ID("delete-yes")))
	if got := evalJS[string](t, bctx, `location.pathname`); got != "/" {
		t.Errorf("after the delete the page is at %q, want /", got)
	}
	shot("after-delete")
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		close(stop)
		wg.Wait()
		t.Fatal("late writers still running at the deadline")
	}
	t.Logf("late writers: %d succeeded before the delete, %d not found after it, %d conflicts", ok2xx.Load(), notFound.Load(), conflict.Load())
	for _, b := range bad {
		t.Errorf("a late writer got %s", b)
	}

	// Reload: gone from the list (both pages) and from a search.
	ready("reload", "list", chromedp.Reload())
	ready("page 2 after reload", "list", chromedp.Click(chromedp.ID("next")))
	if got := evalJS[int](t, bctx, `document.querySelectorAll('#threads li[data-id="`+tid+`"]').length`); got != 0 {
		t.Error("the deleted thread is still in the list")
	}
	ready("search", "list",
		chromedp.SetValue(chromedp.ID("q"), "renamed in the"),
		chromedp.Click(chromedp.CSS(`#search button`)))
	if got := evalJS[int](t, bctx, `document.querySelectorAll("#threads li[data-id]").length`); got != 0 {
		t.Errorf("a search for the new name finds %d threads", got)
	}
	shot("search-after-reload")
	// The same search box finds others (so the empty answer above is not
	// a search that finds nothing): "browser THREAD 1" is 10, 11 and 12.
	ready("search others", "list",
		chromedp.SetValue(chromedp.ID("q"), "browser THREAD 1"),
		chromedp.Click(chromedp.CSS(`#search button`)))
	if got := evalJS[int](t, bctx, `document.querySelectorAll("#threads li[data-id]").length`); got != 3 {
		t.Errorf("a search for %q finds %d threads, want 3", "browser THREAD 1", got)
	}

	// Its URL answers 404, and the page says it is gone.
	res, err := chromedp.Run(bctx, chromedp.NavigateResponse(srv.URL+"/thread/"+tid))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusNotFound {
		t.Errorf("the deleted thread's URL answered %d, want 404", res.Status)
	}
	waitJS(t, bctx, "the not-found view", `document.body.dataset.ready === "missing"`, shot)
	shot("thread-url-404")

	// And the database agrees: no row of the thread, no blob.
	alice.call("GET", "/project/thread/"+tid, nil, http.StatusNotFound, nil)
	if _, err := store.GetThreadAuthor(context.Background(), target.ID); err == nil {
		t.Error("the thread is back in the database")
	}
	if _, err := os.Stat(filepath.Join(store.BlobDir(), tid)); !os.IsNotExist(err) {
		t.Errorf("the thread's blob directory is still there (%v)", err)
	}
	t.Logf("browser test in %v; %d screenshots in %s", time.Since(start).Round(time.Millisecond), n, shots)
}

// waitJS polls the boolean expression in the page until it is true; it
// survives navigations (an evaluation error is retried).
func waitJS(t *testing.T, ctx context.Context, what, expr string, shot func(string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	shot("failed")
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status") ? document.getElementById("status").textContent : ""`))
	t.Fatalf("%s: %s never held (last error %v; page status %q)", what, expr, last, status)
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func redSquare(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for x := range 48 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{R: 0xd0, A: 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
