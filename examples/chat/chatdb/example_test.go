package chatdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/strata-go/strata/examples/chat/chatdb"
)

// A thread deleted while a late writer still holds it: the late update
// and the late step are told the thread is gone, and nothing comes back.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "chatdb-example")
	defer os.RemoveAll(dir)
	s, err := chatdb.Open(ctx, filepath.Join(dir, "chat.db"), chatdb.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	u, _ := s.CreateUser(ctx, "ada", nil)
	th, _ := s.CreateThread(ctx, chatdb.Thread{Name: "Hello", UserID: &u.ID})
	step := chatdb.Step{ID: uuid.New(), ThreadID: th.ID, Type: "user_message", Input: "hi"}
	_ = s.CreateStep(ctx, step)
	_ = s.CreateElement(ctx, chatdb.Element{ThreadID: th.ID, ForID: &step.ID, Name: "notes.txt"}, []byte("some notes"))

	fmt.Println("delete:", s.DeleteThread(ctx, th.ID))
	_, err = s.UpdateThread(ctx, th.ID, chatdb.ThreadUpdate{Name: new("renamed late")})
	fmt.Println("late update is not found:", errors.Is(err, chatdb.ErrNotFound))
	err = s.CreateStep(ctx, chatdb.Step{ID: uuid.New(), ThreadID: th.ID, Output: "streamed late"})
	fmt.Println("late step is not found:", errors.Is(err, chatdb.ErrNotFound))
	page, _ := s.ListThreads(ctx, chatdb.ListQuery{UserID: &u.ID})
	fmt.Println("threads left:", len(page.Data))
	blobs, _ := os.ReadDir(s.BlobDir())
	fmt.Println("blob directories left:", len(blobs))
	// Output:
	// delete: <nil>
	// late update is not found: true
	// late step is not found: true
	// threads left: 0
	// blob directories left: 0
}
