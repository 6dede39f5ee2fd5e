package sfu

import "sync"

// Shared is one message the room sends alike to several participants
// (an arrival, a change, a chat message, the assembly's state): Value
// is what it says, and Encoded keeps the encoding the first signaler
// makes of it for the others. A proposal closing in a room of 300, or
// each arrival of a join storm, is then encoded once, not 300 times
// under the room's lock, and the queues share its bytes. What differs
// by recipient (a participant's own ballot or hand, the chat history
// it may see) is shared by none or given a Shared of its own. Nothing
// may change Value, nor the bytes, once shared.
type Shared[T any] struct {
	// Value is the message's content, the same for every recipient.
	Value T

	once sync.Once
	data []byte
	err  error
}

// Share wraps v for sending to several participants.
func Share[T any](v T) *Shared[T] { return &Shared[T]{Value: v} }

// Encoded returns the message as encode makes it from Value: the first
// call encodes, later ones return the same bytes (the same slice) or
// error. Every caller of one Shared must pass an encode that makes the
// same bytes: the signalers of one server do, and a room's participants
// all have the same kind of signaler.
func (s *Shared[T]) Encoded(encode func(T) ([]byte, error)) ([]byte, error) {
	s.once.Do(func() { s.data, s.err = encode(s.Value) })
	return s.data, s.err
}
