package room

// SetAside returns the log entries New could not apply, in log order: the caller logs and
// counts them. They stay in the store, and the room does not compact its log while it holds
// any, so that nothing is lost before someone looks at them.
func (r *Room) SetAside() []SetAside { return r.setAside }
