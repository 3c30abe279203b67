// DF11Pipeline: placeholder until its first real file lands; delete then.
