// Package chatdb is the data layer of the reference chat-history service
// (examples/chat): the semantics of Chainlit's BaseDataLayer over Strata,
// built so that a deleted thread can never come back.
package chatdb
