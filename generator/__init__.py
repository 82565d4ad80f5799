"""The raw-audio generator (a multi-tier SampleRNN in PyTorch) that feeds a drop's songs."""
