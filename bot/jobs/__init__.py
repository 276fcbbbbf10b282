"""Admin retraining jobs: queued as database rows, trained in a child process, gated, hot-swapped.

``service.JobService`` is what commands (chat and ``bardling jobs``) call; ``worker.JobWorker``
runs the queue one job at a time: ``bardling train`` and ``bardling export`` in a separate
process (PyTorch never loads in the bot), then ``gate`` decides whether the new version goes live.
Nothing here imports torch.
"""
