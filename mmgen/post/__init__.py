"""After the codec: mastering and export."""
