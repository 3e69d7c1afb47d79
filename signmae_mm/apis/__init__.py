"""Inference APIs in mmaction2's style: load a trained recognizer, name the sign in a video;
embed videos with an encoder and name signs from a gallery of a few clips each."""
from .encoder import clip_embeddings, encoder_identity, init_sign_encoder
from .features import SignFeatures, embed_videos, extract_features
from .file_checks import check_checkpoint_file, check_video_file, describe_file
from .gallery import GALLERY_MODES, SignGallery, make_gallery
from .inference import (SignRecognition, annotate_video, class_names, inference_sign_recognizer,
                        init_sign_recognizer, needs_sign_annotation)
from .npz_format import FormatError
from .video_sets import LabelledVideos, videos_from_list, videos_from_sign_folders

__all__ = ['FormatError', 'GALLERY_MODES', 'LabelledVideos', 'SignFeatures', 'SignGallery',
           'SignRecognition', 'annotate_video', 'check_checkpoint_file', 'check_video_file',
           'class_names', 'clip_embeddings', 'describe_file', 'embed_videos', 'encoder_identity',
           'extract_features', 'inference_sign_recognizer', 'init_sign_encoder',
           'init_sign_recognizer', 'make_gallery', 'needs_sign_annotation', 'videos_from_list',
           'videos_from_sign_folders']
