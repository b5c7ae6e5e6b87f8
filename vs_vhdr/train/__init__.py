"""Training: typed config, the trainer loop, checkpoints, validation, torchrun, weights export.

Entry points: ``vhdr train`` / ``vhdr finetune`` (``vs_vhdr.cli``), or
:func:`vs_vhdr.train.trainer.train` with a :class:`vs_vhdr.train.config.TrainConfig`.
See docs/training.md.
"""
