// Package verify checks a store's part files against what their loads recorded in the part list (size, SHA-256,
// modification time): a cheap check (a stat, and a hash when the time changed, as after a copy) on every open,
// a full hash for trailq verify. A writable open drops what it finds damaged (internal/store/parts); a read-only
// open refuses to answer (Refuse, DamagedError).
package verify
