"""Exports of vhdr models for other hosts: TorchScript for Nuke's Inference node."""
