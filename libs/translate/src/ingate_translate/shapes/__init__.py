"""One codec module per shape: what the shape is on the wire, read into the IR and written out of it."""
