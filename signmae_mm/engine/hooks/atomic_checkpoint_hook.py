"""``AtomicCheckpointHook``: mmengine's ``CheckpointHook`` that never leaves a corrupt latest
checkpoint behind a kill."""
import os.path as osp
from pathlib import Path
from typing import Optional, Union

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from ..atomic_local_backend import ATOMIC_LOCAL_BACKEND, atomic_write

__all__ = ['AtomicCheckpointHook']


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` with all-or-nothing checkpoint files.

    Differences from mmengine's hook, both about a run killed while it saves:

    - checkpoints are written through the ``atomic_local`` backend (a temporary file, fsync,
      ``os.replace``), so a checkpoint path holds either its previous content or the complete new
      file, never a truncated one;
    - ``last_checkpoint`` (what ``--resume`` reads) is written the same way, and only after the
      checkpoint it names is complete on disk. mmengine truncates and rewrites it in place: a
      kill in between leaves it empty, and mmengine then silently starts from scratch.

    Everything else (arguments, file names, ``max_keep_ckpts``, ``save_best``) is mmengine's.
    Checkpoints go to ``atomic_local`` unless ``out_dir`` is a remote URI or ``backend_args`` /
    ``file_client_args`` are given (those are used as they are).

    Args:
        out_dir (str | Path, optional): As in mmengine's hook.
        backend_args (dict, optional): As in mmengine's hook; None selects ``atomic_local`` for
            local folders.
        file_client_args (dict, optional): Deprecated in mmengine; as there.
        **kwargs: Other arguments of :class:`~mmengine.hooks.CheckpointHook`.
    """

    def __init__(self,
                 out_dir: Optional[Union[str, Path]] = None,
                 backend_args: Optional[dict] = None,
                 file_client_args: Optional[dict] = None,
                 **kwargs) -> None:
        local = out_dir is None or '://' not in str(out_dir)
        if backend_args is None and file_client_args is None and local:
            backend_args = dict(backend=ATOMIC_LOCAL_BACKEND)
        super().__init__(
            out_dir=out_dir, backend_args=backend_args, file_client_args=file_client_args,
            **kwargs)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """mmengine 0.10.7's method, with ``last_checkpoint`` written atomically.

        Kept line for line otherwise (old checkpoints are removed first so that
        ``keep_ckpt_ids`` matches the files, as in mmengine).
        """
        if self.max_keep_ckpts > 0:
            if len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step:
                pass
            else:
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    _step = self.keep_ckpt_ids.popleft()
                    if is_main_process():
                        ckpt_path = self.file_backend.join_path(
                            self.out_dir, self.filename_tmpl.format(_step))
                        if self.file_backend.isfile(ckpt_path):
                            self.file_backend.remove(ckpt_path)
                        elif self.file_backend.isdir(ckpt_path):
                            # checkpoints saved by deepspeed are directories
                            self.file_backend.rmtree(ckpt_path)
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if not is_main_process():
            return
        # only now that the checkpoint is complete (and fsynced) may resume point to it
        atomic_write(str(self.last_ckpt), osp.join(runner.work_dir, 'last_checkpoint'))
