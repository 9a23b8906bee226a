{{ harmonise_to_565('stg_raw__statbel_population', 'statbel_population') }}
