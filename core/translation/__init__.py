"""Translation with attention: data (numbers, dates, uploaded pairs), tokenizer, encoder-decoder models."""
