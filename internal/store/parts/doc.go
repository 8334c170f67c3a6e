// Package parts keeps a store's part files, the Parquet files that hold its events, in step with the part list
// in the store file: a new part is listed with its checksums in the transaction that commits its rows (List),
// parts holding rows of replaced objects are rewritten without them (RewriteWithout), small parts are merged
// (Compact), files no commit listed are removed (RemoveOrphans), a store made before part files gets them
// (Upgrade), and a writable open drops the parts that are missing or damaged with every trace of the objects they
// held, so that the next load reads those objects again, and lists them as lost until it does (Repair,
// LostObjects, Warnings).
package parts
