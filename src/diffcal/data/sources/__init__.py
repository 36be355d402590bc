"""Dataset sources: one module per dataset (or per data format), each a loader
``(data_dir, **options) -> Prepared``, registered by name in :data:`diffcal.data.registry.SOURCES`.

One module per source keeps :mod:`diffcal.config.codedeps` digests narrow: the
``prepare`` job of a dataset depends on its own loader's module only, so editing
``load_adult`` reruns Adult's jobs and nothing else.
"""
