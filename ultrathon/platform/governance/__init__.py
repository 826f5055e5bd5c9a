"""Access governance: verified e-mail addresses, and organisers' suspensions of participants."""
