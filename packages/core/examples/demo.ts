// `npm start` until the command line exists: a demo of the pure core.
import { encode, latin1 } from '../src/index.js'

const line = 'EHLO demo.example'
console.log(`smtpure core: ${latin1(encode(line))}`)
