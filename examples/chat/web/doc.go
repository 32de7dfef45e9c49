// Package web is the HTTP side of the chat reference application: a JSON
// API with the routes of Chainlit's server (backend/chainlit/server.py)
// over a [chatdb.Store], plus the routes Chainlit runs over its websocket,
// and a small page embedded in the binary (plain HTML, CSS and JavaScript
// under static/, no build step).
//
// # Routes
//
//	POST   /project/threads                          list the caller's threads: {"pagination": {"first", "cursor"},
//	                                                 "filter": {"search", "feedback", "tag"}} -> {"pageInfo": {...}, "data": [...]}
//	GET    /project/thread/{thread_id}               a thread with its steps (oldest first, with feedback) and elements
//	PUT    /project/thread                           rename: {"threadId", "name"} (createdAt is kept)
//	DELETE /project/thread                           delete: {"threadId"}; one transaction, blobs removed after it commits
//	GET    /project/thread/{thread_id}/element/{element_id}   an element's fields
//	PUT    /feedback                                 {"feedback": {"forId", "threadId", "value": 0|1, "comment"}} -> {"feedbackId"}
//	DELETE /feedback                                 {"feedbackId", "threadId"}
//	GET    /user, GET /auth/config                   the caller; how the page authenticates
//
// What Chainlit does over its websocket, as routes:
//
//	POST   /project/thread                           create a thread of the caller (idempotent when "id" is given)
//	PATCH  /project/thread/{thread_id}               update_thread: {"name", "tags", "metadata"} (metadata merged, a null
//	                                                 value deletes its key); never creates: a deleted thread is 404
//	POST   /project/thread/{thread_id}/disconnect    the disconnect-persist path: a thread change and "steps"; 404 and
//	                                                 nothing written when the thread was deleted meanwhile
//	POST   /project/thread/{thread_id}/step          create_step (404 when the thread is gone: a step never creates one)
//	PUT    /project/thread/{thread_id}/step/{step_id}       update_step
//	DELETE /project/thread/{thread_id}/step/{step_id}       delete_step (and its children)
//	POST   /project/thread/{thread_id}/element       create_element: fields and "content" in base64
//	GET    /project/thread/{thread_id}/element/{element_id}/content   the element's blob
//	DELETE /project/thread/{thread_id}/element/{element_id}           delete_element
//
// The page is served at / (the list, with paging and search) and at
// /thread/{id} (one thread: steps, elements, feedback, rename, delete);
// the thread URL answers 404 when the thread does not exist.
//
// # Identity and authorization
//
// The caller is named by the X-User header (a development setup, or an
// authenticating proxy in front that sets it), or, when [Config.Tokens] is
// set, by "Authorization: Bearer TOKEN". Without one the answer is 401.
// Users are created on first sight. Every thread route checks that the
// caller wrote the thread (403 otherwise); the list holds only the
// caller's threads.
//
// # Errors
//
// Every answer is JSON; an error is {"detail": "...", "field": "..."}.
// Malformed JSON, trailing data, unknown fields, wrong types, missing or
// malformed ids are 400; values the Store refuses ([chatdb.ValidationError]:
// over-long fields, a feedback value other than 0 or 1, a bad cursor) are
// 422; unknown ids 404; another user's thread 403; a concurrent change
// the retries could not resolve 409; a body over the limit ([MaxBody],
// [MaxDisconnect], [MaxElementBody]) 413. Input is checked before
// anything is written, so a refused request changes nothing. Only an
// unexpected failure is 500, logged and answered without its text.
//
// # Tests
//
// The handler tests (web_test.go) run on SQLite, PostgreSQL and MariaDB
// through internal/testdb. The browser test (browser_test.go) drives
// headless Chromium with chromedp against the service on SQLite and saves
// screenshots to $CHAT_SCREENSHOTS (or a temporary directory); it finds
// Chromium through $CHROME_PATH or on PATH and is skipped without it.
package web
