// DF11Kit: placeholder until its first real file lands; delete then.
