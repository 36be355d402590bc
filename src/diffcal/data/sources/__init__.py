"""Dataset sources: one module per dataset (or per data format), each a loader
``(data_dir, **options) -> Prepared``, declared by a ``SOURCES = [Source(...)]``
record in its module (:mod:`diffcal.data.source`) that
:mod:`diffcal.data.registry` finds: a new source is one new file here.

One module per source keeps :mod:`diffcal.config.codedeps` digests narrow: the
``prepare`` job of a dataset depends on its own loader's module only, so editing
``load_adult`` reruns Adult's jobs and nothing else.
"""
