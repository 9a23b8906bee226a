{{ harmonise_to_565('stg_raw__statbel_real_estate', 'statbel_real_estate') }}
