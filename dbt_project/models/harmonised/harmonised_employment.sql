{{ harmonise_to_565('stg_raw__employment', 'employment') }}
