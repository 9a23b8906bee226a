{{ stage_canonical([source('raw', 'schools')]) }}
