{{ stage_canonical([source('raw', 'employment')]) }}
