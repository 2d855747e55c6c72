"""The DICOM node: storage and MPPS SCP, query/retrieve from a PACS, known senders."""
