{{ stage_canonical(source('raw', 'statbel_population')) }}
