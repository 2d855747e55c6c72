"""Read models of the web layer: queries behind the studies list, study page, patient history, charts."""
