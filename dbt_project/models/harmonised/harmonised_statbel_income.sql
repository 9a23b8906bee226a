{{ harmonise_to_565('stg_raw__statbel_income', 'statbel_income') }}
